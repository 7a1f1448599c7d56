"""The user config file: schema, typed model, load/validate/save."""

from bp_tui.config.model import (
    AlertSettings,
    BrightpearlSettings,
    Config,
    ProductSettings,
    Secret,
    ShipStationSettings,
    SyncSettings,
    derive_integration_url,
)
from bp_tui.config.store import (
    MASK,
    config_from_dict,
    load_config,
    masked_dict,
    masked_toml,
    permission_warning,
    save_config,
    secret_values,
    split_alert_urls,
    url_problem,
)

__all__ = [
    "AlertSettings",
    "split_alert_urls",
    "MASK",
    "Secret",
    "BrightpearlSettings",
    "Config",
    "ProductSettings",
    "ShipStationSettings",
    "SyncSettings",
    "config_from_dict",
    "derive_integration_url",
    "load_config",
    "masked_dict",
    "masked_toml",
    "permission_warning",
    "save_config",
    "secret_values",
    "url_problem",
]
