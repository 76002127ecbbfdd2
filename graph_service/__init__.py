"""downline: graph analytics for network-marketing organisations."""

__version__ = "0.1.0"
