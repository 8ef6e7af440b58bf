"""企业隐患自查自报: the enterprise's monthly self-inspection report per site, its reminders and the console figures."""
