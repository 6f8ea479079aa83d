"""The money side, beside services/applications: deposit standards and dues (deposits), 缴款通知书
(notices), bank confirmation and refunds (confirm, refunds), the house ledger (ledger), fen/yuan
arithmetic (money), receipts, the renewal round (renewal), the background jobs (jobs), the reads
the schema's loaders use (read), and the receiving banks (banks)."""
