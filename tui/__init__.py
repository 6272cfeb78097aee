"""portrait-review: check portrait photos against LivePortrait's liveportrait-detect rules."""

__version__ = "0.1.0"
