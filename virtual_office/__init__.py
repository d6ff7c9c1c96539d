"""virtual-office: a self-hosted virtual citizen office."""

__version__ = "0.1.0"
