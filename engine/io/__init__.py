"""Import (Obsidian, Google Keep Takeout, Apple Notes over IMAP) and export/restore (ZIP)."""
