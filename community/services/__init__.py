"""Community writes: ``articles``, ``forum`` (threads, replies, likes, flags, moderation) and
``wordlist`` (the sensitive-word list and the check every text goes through)."""
