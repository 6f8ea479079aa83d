"""PDF documents: pure rendering, no database."""
