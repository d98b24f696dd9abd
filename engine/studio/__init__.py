"""The coach studio: a creator's draft coach, from their books and voice to a signed, installed pack."""
