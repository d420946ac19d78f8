"""Adds invoice_number,total for the invoice in input/ to output/ledger.csv."""
import csv
import os
import re
import subprocess
import sys

NUMBER = [
    r"Invoice No\s*:\s*#\s*(\S+)",
    r"Invoice\s+(INV/\S+)",
    r"Facture n°\s*(\d+)",
    r"Rechnungsnr\.\s+(\d+)",
]
TOTAL = [
    r"Grand Total\s+(?:Rs\.?\s*)?([\d.,]+)",
    r"Total TTC\s*:\s*([\d.,]+)",
    r"Total EUR\s+([\d.,]+)",
    r"^\s*Total\s+\$\s*([\d.,]+)",
]


def first(patterns, text):
    for p in patterns:
        m = re.search(p, text, re.MULTILINE)
        if m:
            return m.group(1)
    return None


def amount(raw):
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    return "%.2f" % float(raw.replace(",", ""))


def main():
    names = [n for n in os.listdir("input") if n.lower().endswith(".pdf")]
    if len(names) != 1:
        sys.exit(3)
    text = subprocess.run(["pdftotext", "-layout", os.path.join("input", names[0]), "-"], capture_output=True, text=True).stdout
    number, total = first(NUMBER, text), first(TOTAL, text)
    if not number or not total:
        sys.exit(3)
    ledger = os.path.join("output", "ledger.csv")
    new = not os.path.exists(ledger)
    with open(ledger, "a", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if new:
            w.writerow(["invoice_number", "total"])
        w.writerow([number, amount(total)])


if __name__ == "__main__":
    main()
