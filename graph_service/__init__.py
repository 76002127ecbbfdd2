"""downline: graph analytics for network-marketing organisations."""
