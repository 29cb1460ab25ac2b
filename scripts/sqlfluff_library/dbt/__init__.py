"""Stand-ins for dbt's cross-database macros (`dbt.concat`, `dbt.dateadd`, …) so SQLFluff's jinja templater can
render models offline (no dbt compile, no profile): each returns DuckDB SQL close to what dbt-duckdb writes."""


def type_string():
    return "varchar"


def concat(fields):
    return " || ".join(fields)


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def hash(field):  # dbt's name
    return f"md5(cast({field} as varchar))"


def position(substring_text, string_text):
    return f"position({substring_text} in {string_text})"


def replace(field, old_chars, new_chars):
    return f"replace({field}, {old_chars}, {new_chars})"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"
