"""The house (房屋): its vocabulary (fields.py) and its snapshots as applications record them (snapshots.py)."""
