"""Sync: the end-to-end-encrypted delta sync client and the wire protocol it shares with backend/."""
