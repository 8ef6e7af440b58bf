"""Sites (生产经营单位/场所): the places inspected, with their QR codes and credit codes."""
