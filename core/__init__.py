"""Foleycut's Qt-free core: database, export layout, media, embeddings, training and scanning."""
