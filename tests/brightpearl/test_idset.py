import pytest

from bp_tui.brightpearl.idset import chunks, format_idset, parse_idset


def test_format_compacts_ranges_sorted_and_deduplicated():
    assert format_idset([9, 1, 2, 3, 3, 5, 4]) == "1-5,9"
    assert format_idset([7]) == "7"
    assert format_idset([]) == ""
    assert format_idset([1, 3, 5]) == "1,3,5"


def test_parse_lists_ranges_and_star():
    assert parse_idset("1,2,5-9") == [1, 2, 5, 6, 7, 8, 9]
    assert parse_idset("*") == "*"
    assert parse_idset("4-99,1,2")[:3] == [4, 5, 6]
    assert parse_idset(format_idset(range(10, 600, 3))) == list(range(10, 600, 3))


@pytest.mark.parametrize("bad", ["a", "5-1", "1,,2", "-3"])
def test_parse_rejects_bad_syntax(bad):
    with pytest.raises(ValueError):
        parse_idset(bad)


def test_chunks_sizes():
    parts = list(chunks(range(1100), 500))
    assert [len(p) for p in parts] == [500, 500, 100]
    assert parts[0][0] == 0 and parts[-1][-1] == 1099
    with pytest.raises(ValueError):
        list(chunks([1], 0))
