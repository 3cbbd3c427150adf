"""The console commands: one ``seqkit-<domain>`` per domain, its subcommands, and what every one shares.

Kept light on purpose: importing this package (as ``seqkit-<domain> --help`` does) pulls in neither torch
nor Lightning; they are imported when a subcommand runs.
"""
