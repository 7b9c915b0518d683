"""The web pages: a department's report page behind a signed link, the office's dashboard."""
