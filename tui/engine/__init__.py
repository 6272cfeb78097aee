"""The check engine: downloads, input rules, backends. Never imports Textual."""
