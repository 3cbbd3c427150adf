"""The error a bad motion or text file raises: one line naming the file, the line or record, and what is wrong."""

from __future__ import annotations

from seqkit.commands.user_errors import InputError


class MotionFormatError(InputError):
    """A mocap, feature or text file that cannot be read: ``MotionFormatError(path, "line 12", "what")``."""
