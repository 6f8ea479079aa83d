"""Workbook file formats: pure, no database."""
