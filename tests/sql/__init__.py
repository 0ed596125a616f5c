"""Tests of the database and SQL access: engine, migrations, views, strikedb sql/report/export, cookbook."""
