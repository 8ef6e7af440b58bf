"""批量导入: sites from a spreadsheet, checked first, then applied in batches by a worker."""
