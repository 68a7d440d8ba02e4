"""SQL models (staging → intermediate → marts) and the reviewed policy parameters they use."""
