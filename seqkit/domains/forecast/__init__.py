"""Time-series forecasting head (Informer and an SSM-encoder alternative). Data layer so far."""
