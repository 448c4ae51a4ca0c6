"""Share requests, media, review, appeals, showcase."""
