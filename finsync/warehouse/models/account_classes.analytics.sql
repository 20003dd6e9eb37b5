-- The classes the financial statements group GL accounts by, each for the account codes that start with a
-- prefix (the longest prefix a code starts with wins): BAS by default, changed by the setting
-- [analytics.account_classes] (finsync.warehouse.accounts), whose rows replace `{account_classes}` here.
-- requires:
SELECT c.prefix, c.class, c.statement, c.line_order, c.label FROM {account_classes}
