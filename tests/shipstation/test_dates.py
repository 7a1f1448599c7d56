from datetime import UTC, date, datetime

import pytest

from bp_tui.shipstation.dates import (
    parse_date,
    parse_datetime,
    to_api_date,
    to_api_datetime,
    to_filter,
)


def test_pacific_summer_time_with_seven_digit_fraction_becomes_utc():
    assert parse_datetime("2024-09-17T10:51:14.5030000") == datetime(
        2024, 9, 17, 17, 51, 14, 503000, UTC
    )


def test_pacific_standard_time_is_eight_hours_behind():
    assert parse_datetime("2024-01-15T08:00:00.0000000") == datetime(2024, 1, 15, 16, 0, tzinfo=UTC)


def test_dst_start_day_switches_offset_at_2am():
    # 2024-03-10: PST (-8) until 02:00, PDT (-7) after.
    assert parse_datetime("2024-03-10T01:30:00.0000000") == datetime(2024, 3, 10, 9, 30, tzinfo=UTC)
    assert parse_datetime("2024-03-10T03:30:00.0000000") == datetime(
        2024, 3, 10, 10, 30, tzinfo=UTC
    )


def test_values_with_offset_or_z_are_honoured():
    assert parse_datetime("2024-09-17T10:51:14Z") == datetime(2024, 9, 17, 10, 51, 14, tzinfo=UTC)
    assert parse_datetime("2024-09-17T10:51:14-05:00") == datetime(
        2024, 9, 17, 15, 51, 14, tzinfo=UTC
    )
    assert parse_datetime("2015-08-17T09:24:14.78") == datetime(
        2015, 8, 17, 16, 24, 14, 780000, UTC
    )


def test_empty_values_are_none_and_garbage_raises():
    assert parse_datetime(None) is None and parse_datetime("") is None and parse_date(None) is None
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


def test_dates_only_and_dates_with_time():
    assert parse_date("2024-09-17") == date(2024, 9, 17)
    assert parse_date("2024-09-12T00:00:00.0000000") == date(2024, 9, 12)


def test_filters_are_pacific_wall_time():
    assert to_filter(datetime(2024, 7, 1, 12, 0, tzinfo=UTC)) == "2024-07-01 05:00:00"
    assert to_filter(datetime(2024, 12, 1, 12, 0, tzinfo=UTC)) == "2024-12-01 04:00:00"
    with pytest.raises(ValueError):
        to_filter(datetime(2024, 12, 1, 12, 0))


def test_api_format_round_trips():
    moment = datetime(2024, 11, 3, 12, 30, 5, 123456, UTC)  # the day PDT ends, after the switch
    text = to_api_datetime(moment)
    assert text == "2024-11-03T04:30:05.1234560"
    assert parse_datetime(text) == moment


def test_the_repeated_hour_at_dst_end_reads_as_its_first_occurrence():
    # 01:30 happens twice on 2024-11-03 (PDT, then PST); without an offset the first one is taken.
    assert parse_datetime("2024-11-03T01:30:00.0000000") == datetime(2024, 11, 3, 8, 30, tzinfo=UTC)
    assert to_api_date(datetime(2024, 9, 18, 3, 0, tzinfo=UTC)) == "2024-09-17"


def test_a_filter_in_the_repeated_hour_never_starts_after_the_moment_asked_for():
    # 2024-11-03: 01:00-02:00 Pacific happens twice (PDT, then PST)
    first = datetime(2024, 11, 3, 8, 30, tzinfo=UTC)  # 01:30 PDT
    second = datetime(2024, 11, 3, 9, 30, tzinfo=UTC)  # 01:30 PST
    assert to_filter(first) == "2024-11-03 00:30:00"
    assert (
        to_filter(second) == "2024-11-03 01:30:00"
    )  # read either way, 01:30 is not after 09:30 UTC
    assert to_filter(datetime(2024, 11, 3, 11, 0, tzinfo=UTC)) == "2024-11-03 03:00:00"
