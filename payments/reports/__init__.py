"""Payout reports and fair-pay insight: figures (selectors), exports (CSV/XLSX), PDF statements and SVG charts."""
