"""Decide whether an analyst's SQL text is one statement that only reads, before it reaches the database.

No lexer of our own decides anything here; each backend's own rules do:

- **PostgreSQL:** the text is parsed by `pglast <https://github.com/lelit/pglast>`_, which is
  PostgreSQL's own parser (libpg_query). Exactly one statement is accepted, of a reading kind
  (``SELECT``, ``WITH ... SELECT``, ``VALUES``, ``TABLE``, ``EXPLAIN`` of those, ``SHOW``), made
  only of expression nodes on an allow-list. Every function called must be on an allow-list
  (:data:`PG_FUNCTIONS`, PostGIS ``ST_*`` geometry/geography functions, ``distance_km``),
  compared on the parsed, schema-qualified name, so quoting and ``pg_catalog.`` prefixes change
  nothing. Catalogs holding secrets (:data:`PG_SECRET_RELATIONS`) are refused.
- **SQLite:** statements are delimited with :func:`sqlite3.complete_statement` (SQLite's own
  tokenizer), exactly one must remain and it must start with a reading keyword. The real
  boundary on SQLite is the authorizer installed by :func:`events.analysis.read_only_connection`
  and the driver's one-statement rule; this check only gives a clear message early.

``:name`` placeholders are found with PostgreSQL's scanner (a colon inside a string literal,
a dollar-quoted string, a quoted name or a comment is not a placeholder). On SQLite the driver
binds ``:name`` itself, with the same rules.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from events.errors import QueryError, ReadOnlyViolation

READ_HINT = "read-only queries are one SELECT, WITH ... SELECT, VALUES, TABLE, EXPLAIN or SHOW statement"

#: First keywords of statements SQLite can run read-only (PRAGMAs are filtered by the authorizer).
SQLITE_READING_KINDS = frozenset({"SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"})

# --------------------------------------------------------------------------- PostgreSQL allow-lists


def _words(text: str) -> list[str]:
    return text.split()


#: Built-in scalar, aggregate and window functions an analyst may call (pg_catalog or unqualified).
#: Deliberately absent: anything reading files, settings or other sessions, large objects,
#: advisory locks, sequences, sleeping, running SQL given as text, and administration.
PG_FUNCTIONS = frozenset(
    _words(
        """
    abs acos acosd acosh asin asind asinh atan atan2 atan2d atand atanh cbrt ceil ceiling cos cosd cosh cot
    cotd degrees div erf erfc exp factorial floor gamma gcd lcm lgamma ln log log10 min_scale mod pi power
    radians random random_normal round scale sign sin sind sinh sqrt tan tand tanh trim_scale trunc
    width_bucket setseed
    ascii bit_length btrim char_length character_length chr concat concat_ws convert_from convert_to decode
    encode format initcap left length lower lpad ltrim md5 normalize is_normalized octet_length overlay
    position quote_ident quote_literal quote_nullable regexp_count regexp_instr regexp_like regexp_match
    regexp_matches regexp_replace regexp_split_to_array regexp_split_to_table regexp_substr repeat replace
    reverse right rpad rtrim sha224 sha256 sha384 sha512 split_part starts_with string_to_array
    string_to_table strpos substr substring to_ascii to_bin to_hex to_oct translate unistr upper casefold
    similar_escape similar_to_escape text varchar bpchar
    age clock_timestamp current_date date_add date_bin date_part date_subtract date_trunc extract isfinite
    justify_days justify_hours justify_interval localtime localtimestamp make_date make_interval make_time
    make_timestamp make_timestamptz now statement_timestamp timeofday timezone to_char to_date to_number
    to_timestamp transaction_timestamp
    array_agg array_append array_cat array_dims array_fill array_length array_lower array_ndims
    array_position array_positions array_prepend array_remove array_replace array_reverse array_sample
    array_shuffle array_sort array_to_string array_upper cardinality trim_array unnest generate_series
    generate_subscripts
    avg bit_and bit_or bit_xor bool_and bool_or corr count covar_pop covar_samp every max min mode
    percentile_cont percentile_disc regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
    regr_sxy regr_syy stddev stddev_pop stddev_samp string_agg sum var_pop var_samp variance any_value
    range_agg range_intersect_agg grouping
    cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number
    array_to_json json_agg json_agg_strict json_array_elements json_array_elements_text json_array_length
    json_build_array json_build_object json_each json_each_text json_extract_path json_extract_path_text
    json_object json_object_agg json_object_keys json_populate_record json_populate_recordset json_strip_nulls
    json_to_record json_to_recordset json_typeof jsonb_agg jsonb_agg_strict jsonb_array_elements
    jsonb_array_elements_text jsonb_array_length jsonb_build_array jsonb_build_object jsonb_each
    jsonb_each_text jsonb_extract_path jsonb_extract_path_text jsonb_insert jsonb_object jsonb_object_agg
    jsonb_object_keys jsonb_path_exists jsonb_path_match jsonb_path_query jsonb_path_query_array
    jsonb_path_query_first jsonb_populate_record jsonb_populate_recordset jsonb_pretty jsonb_set
    jsonb_set_lax jsonb_strip_nulls jsonb_to_record jsonb_to_recordset jsonb_typeof row_to_json to_json
    to_jsonb
    lower_inc upper_inc lower_inf upper_inf isempty range_merge int4range int8range numrange daterange
    tsrange tstzrange
    num_nonnulls num_nulls pg_typeof version current_database current_schema current_schemas
    host hostmask masklen netmask network family inet_same_family inet_merge broadcast abbrev text
    gen_random_uuid uuid_extract_timestamp uuid_extract_version
    to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd
    ts_headline setweight strip numnode querytree array_to_tsvector tsvector_to_array
    """
    )
)

#: PostGIS ``ST_*`` functions that exist only for rasters (``postgis_raster``): refused, as the
#: issue asks, because out-of-database rasters and GDAL drivers can read server files.
PG_RASTER_FUNCTIONS = frozenset(
    _words(
        """
    st_addband st_approxcount st_approxhistogram st_approxquantile st_approxsummarystats st_asgdalraster
    st_asjpeg st_aspng st_asraster st_astiff st_aspect st_band st_bandfilesize st_bandfiletimestamp
    st_bandisnodata st_bandmetadata st_bandnodatavalue st_bandpath st_bandpixeltype st_clip st_colormap
    st_contour st_count st_countagg st_createoverview st_dfullywithin_raster st_distinct4ma st_dumpaspolygons
    st_dumpvalues st_fromgdalraster st_gdaldrivers st_georeference st_grayscale st_hasnoband st_height
    st_hillshade st_histogram st_interpolateraster st_invdistweight4ma st_iscoveragetile st_makeemptycoverage
    st_makeemptyraster st_mapalgebra st_mapalgebraexpr st_mapalgebrafct st_mapalgebrafctngb st_max4ma
    st_mean4ma st_metadata st_min4ma st_mindist4ma st_minconvexhull st_nearestvalue st_neighborhood
    st_notsamealignmentreason st_numbands st_pixelascentroid st_pixelascentroids st_pixelaspoint
    st_pixelaspoints st_pixelaspolygon st_pixelaspolygons st_pixelheight st_pixelofvalue st_pixelwidth
    st_quantile st_range4ma st_rastertoworldcoord st_rastertoworldcoordx st_rastertoworldcoordy
    st_rastfromhexwkb st_rastfromwkb st_reclass st_resample st_rescale st_resize st_reskew st_retile
    st_rotation st_roughness st_samealignment st_scalex st_scaley st_setbandindex st_setbandisnodata
    st_setbandnodatavalue st_setbandpath st_setgeoreference st_setrotation st_setscale st_setskew
    st_setupperleft st_setvalue st_setvalues st_setz st_setm st_skewx st_skewy st_slope st_stddev4ma
    st_sum4ma st_summarystats st_summarystatsagg st_tile st_tpi st_tri st_upperleftx st_upperlefty
    st_value st_valuecount st_width st_worldtorastercoord st_worldtorastercoordx st_worldtorastercoordy
    """
    )
)

#: Functions of the project and of PostGIS that are not ``ST_*`` (schema ``public`` or unqualified).
PG_PROJECT_FUNCTIONS = frozenset({"distance_km", "geometry", "geography", "box2d", "box3d", "postgis_version"})

#: Relations whose rows hold secrets (password hashes, connection strings, other sessions'
#: query text, server files and settings, raw column statistics, large objects).
PG_SECRET_RELATIONS = frozenset(
    _words(
        """
    pg_authid pg_shadow pg_user_mapping pg_user_mappings pg_largeobject pg_largeobject_metadata
    pg_statistic pg_statistic_ext_data pg_stat_activity pg_stat_statements pg_stat_statements_info
    pg_hba_file_rules pg_ident_file_mappings pg_file_settings pg_config pg_db_role_setting pg_subscription
    pg_stat_subscription pg_replication_slots pg_stat_replication pg_stat_wal_receiver pg_backend_memory_contexts
    pg_shmem_allocations pg_stat_gssapi pg_stat_ssl pg_prepared_xacts pg_locks
    user_mapping_options user_mappings
    """
    )
)
#: Schemas that may never be read from.
PG_SECRET_SCHEMAS = frozenset({"pg_toast"})

#: Parse-tree nodes a reading statement is made of. Anything else (a data-modifying CTE's
#: InsertStmt, an IntoClause, a LockingClause, utility statements...) is refused.
PG_NODES = frozenset(
    _words(
        """
    RawStmt SelectStmt ExplainStmt VariableShowStmt DefElem
    A_Const A_Expr A_Indices A_Indirection A_ArrayExpr A_Star Alias BitString Boolean BoolExpr BooleanTest
    CaseExpr CaseWhen CoalesceExpr CollateClause ColumnRef CommonTableExpr CTESearchClause CTECycleClause
    Float FuncCall GroupingSet GroupingFunc Integer JoinExpr List MinMaxExpr NullTest ParamRef RangeFunction
    RangeSubselect RangeTableSample RangeVar ResTarget RowExpr SortBy SQLValueFunction String SubLink TypeCast
    TypeName WindowDef WithClause MergeSupportFunc NamedArgExpr
    JsonValueExpr JsonOutput JsonReturning JsonFormat JsonObjectConstructor JsonArrayConstructor
    JsonArrayQueryConstructor JsonAggConstructor JsonObjectAgg JsonArrayAgg JsonKeyValue JsonIsPredicate
    JsonParseExpr JsonScalarExpr JsonSerializeExpr JsonFuncExpr JsonArgument JsonBehavior JsonTablePathSpec
    JsonTable JsonTableColumn XmlExpr XmlSerialize RangeTableFunc RangeTableFuncCol
    """
    )
)

_STATEMENT_NAMES = {
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "TruncateStmt": "TRUNCATE",
    "CopyStmt": "COPY",
    "VariableSetStmt": "SET",
    "TransactionStmt": "transaction control",
    "CreateStmt": "CREATE TABLE",
    "CreateTableAsStmt": "CREATE TABLE AS",
    "DropStmt": "DROP",
    "AlterTableStmt": "ALTER TABLE",
    "GrantStmt": "GRANT",
    "GrantRoleStmt": "GRANT",
    "CreateRoleStmt": "CREATE ROLE",
    "AlterRoleStmt": "ALTER ROLE",
    "DoStmt": "DO",
    "CallStmt": "CALL",
    "ExecuteStmt": "EXECUTE",
    "PrepareStmt": "PREPARE",
    "LockStmt": "LOCK",
    "ListenStmt": "LISTEN",
    "NotifyStmt": "NOTIFY",
    "LoadStmt": "LOAD",
    "VacuumStmt": "VACUUM/ANALYZE",
    "IntoClause": "SELECT INTO",
    "LockingClause": "FOR UPDATE/SHARE",
    "DeclareCursorStmt": "DECLARE",
    "FetchStmt": "FETCH",
    "ClusterStmt": "CLUSTER",
    "ReindexStmt": "REINDEX",
    "CheckPointStmt": "CHECKPOINT",
    "DiscardStmt": "DISCARD",
    "CreateFunctionStmt": "CREATE FUNCTION",
    "ViewStmt": "CREATE VIEW",
    "CreateExtensionStmt": "CREATE EXTENSION",
    "AlterSystemStmt": "ALTER SYSTEM",
    "CommentStmt": "COMMENT",
    "RefreshMatViewStmt": "REFRESH",
    "SecLabelStmt": "SECURITY LABEL",
    "DeallocateStmt": "DEALLOCATE",
    "ReassignOwnedStmt": "REASSIGN OWNED",
    "DropOwnedStmt": "DROP OWNED",
    "ImportForeignSchemaStmt": "IMPORT",
    "VariableShowStmt": "SHOW",
    "IndexStmt": "CREATE INDEX",
    "RuleStmt": "CREATE RULE",
    "CreateTrigStmt": "CREATE TRIGGER",
    "AlterDatabaseSetStmt": "ALTER DATABASE",
    "AlterRoleSetStmt": "ALTER ROLE",
}


@dataclass(frozen=True)
class Statement:
    """One checked statement, ready to run.

    Attributes
    ----------
    sql : str
        The statement as given (placeholders still written ``:name``).
    kind : str
        ``SELECT``, ``EXPLAIN``, ``SHOW``, ``PRAGMA``... (upper case).
    params : tuple of str
        Names of the ``:name`` placeholders, in order of first use (PostgreSQL only).
    driver_sql : str
        The text handed to the driver: on PostgreSQL with ``%(name)s`` placeholders and ``%``
        doubled when there are placeholders; on SQLite the text itself.
    cursor_ok : bool
        True when the statement may run in a server-side cursor (PostgreSQL ``SELECT``).
    """

    sql: str
    kind: str
    params: tuple[str, ...] = ()
    driver_sql: str = ""
    cursor_ok: bool = False
    functions: tuple[str, ...] = field(default=(), compare=False)


def check_read_only(sql: str, dialect: str) -> Statement:
    """Return the single reading statement in ``sql`` or refuse it.

    Parameters
    ----------
    sql : str
        The analyst's SQL.
    dialect : str
        ``sqlite`` or ``postgresql``.

    Returns
    -------
    Statement

    Raises
    ------
    QueryError
        For empty text, several statements, or text that does not parse.
    ReadOnlyViolation
        For a statement that would write, change the session or settings, lock rows, call a
        function that is not on the allow-list, or read a catalog holding secrets.
    """
    if dialect == "postgresql":
        return check_postgresql(sql)
    return check_sqlite(sql)


def _refused(what: str, hint: str | None = None) -> ReadOnlyViolation:
    return ReadOnlyViolation(f"refused {what}: the SQL command only reads; the database was not changed", hint=hint)


def _one_statement(count: int, kinds: list[str]) -> QueryError:
    return QueryError(
        f"one statement at a time, got {count} ({', '.join(kinds)})",
        hint="remove the extra statements, or run them one by one",
    )


def _empty() -> QueryError:
    return QueryError("the query is empty", hint='pass a statement such as "SELECT count(*) FROM events"')


# --------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class _Placeholder:
    name: str
    start: int
    end: int  # exclusive


_NAME = re.compile(r"[A-Za-z_\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*\Z")


def _scan(sql: str) -> list[Any]:
    from pglast import parser

    try:
        return list(parser.scan(sql))
    except Exception as exc:  # pglast raises its own ParseError / ValueError
        raise QueryError(f"cannot read the query: {_pglast_message(exc)}") from exc


def pg_placeholders(sql: str) -> list[_Placeholder]:
    """Find ``:name`` placeholders with PostgreSQL's scanner (never inside literals or comments).

    A colon is a placeholder when a name follows it directly and it is not part of ``::`` or an
    array slice such as ``a[1:n]`` (the same rule SQLAlchemy applies, but on real tokens).
    """
    tokens = _scan(sql)
    found = []
    for i, token in enumerate(tokens[:-1]):
        if token.name != "ASCII_58":  # ':'
            continue
        nxt = tokens[i + 1]
        if nxt.start != token.end + 1 or not _NAME.match(sql[nxt.start : nxt.end + 1]):
            continue
        before = sql[token.start - 1] if token.start else ""
        after = sql[nxt.end + 1] if nxt.end + 1 < len(sql) else ""
        if (before and (before.isalnum() or before in "_:\\")) or after == ":":
            continue
        found.append(_Placeholder(sql[nxt.start : nxt.end + 1], token.start, nxt.end + 1))
    return found


def _with_placeholders(sql: str, placeholders: list[_Placeholder], render, other=lambda text: text) -> str:
    """Replace each placeholder by ``render(name)`` and pass the text between them through ``other``."""
    out, at = [], 0
    for ph in placeholders:
        out.append(other(sql[at : ph.start]))
        out.append(render(ph.name))
        at = ph.end
    out.append(other(sql[at:]))
    return "".join(out)


def _pglast_message(exc: Exception) -> str:
    message = str(exc.args[0] if getattr(exc, "args", None) else exc)
    location = getattr(exc, "location", None)
    return f"{message} (at character {location})" if location else message


def check_postgresql(sql: str) -> Statement:
    """Check ``sql`` with PostgreSQL's own parser and the allow-lists (see the module docstring).

    Parameters
    ----------
    sql : str

    Returns
    -------
    Statement
        With ``driver_sql`` ready for psycopg.

    Raises
    ------
    QueryError, ReadOnlyViolation
    """
    from pglast import parse_sql

    placeholders = pg_placeholders(sql)
    numbers: dict[str, int] = {}
    for ph in placeholders:
        numbers.setdefault(ph.name, len(numbers) + 1)
    parseable = _with_placeholders(sql, placeholders, lambda name: f"${numbers[name]}")
    try:
        raw = parse_sql(parseable)
    except Exception as exc:
        raise QueryError(f"the query does not parse: {_pglast_message(exc)}", hint=READ_HINT) from exc
    if not raw:
        raise _empty()
    if len(raw) > 1:
        raise _one_statement(len(raw), [_statement_name(r.stmt) for r in raw])
    stmt = raw[0].stmt
    kind = _statement_name(stmt)
    if type(stmt).__name__ not in ("SelectStmt", "ExplainStmt", "VariableShowStmt"):
        raise _refused(kind, hint=READ_HINT)
    functions: list[str] = []
    for node in _walk(stmt):
        _check_node(node, functions)
    # psycopg reads %-placeholders only when parameters are passed; then every other % is doubled.
    escaped = (
        _with_placeholders(sql, placeholders, lambda name: f"%({name})s", lambda text: text.replace("%", "%%"))
        if placeholders
        else sql
    )
    return Statement(
        sql=sql,
        kind=kind,
        params=tuple(numbers),
        driver_sql=escaped,
        cursor_ok=type(stmt).__name__ == "SelectStmt",
        functions=tuple(functions),
    )


def _statement_name(stmt: Any) -> str:
    name = type(stmt).__name__
    if name == "SelectStmt":
        return "VALUES" if stmt.valuesLists else "SELECT"
    if name == "ExplainStmt":
        return "EXPLAIN"
    if name == "TransactionStmt":  # TRANS_STMT_COMMIT -> COMMIT
        return str(getattr(stmt.kind, "name", "TRANSACTION")).removeprefix("TRANS_STMT_").replace("_", " ")
    return _STATEMENT_NAMES.get(name, name.removesuffix("Stmt").upper())


def _walk(node: Any) -> Iterator[Any]:
    from pglast import ast

    if isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for attr in type(node).__slots__:
            yield from _walk(getattr(node, attr, None))


def _names(parts: Any) -> tuple[str, ...]:
    return tuple(getattr(p, "sval", None) or "" for p in parts or ())


def _check_node(node: Any, functions: list[str]) -> None:
    name = type(node).__name__
    if name not in PG_NODES:
        raise _refused(_STATEMENT_NAMES.get(name, name), hint=READ_HINT)
    if name == "SelectStmt" and (node.intoClause is not None or node.lockingClause):
        raise _refused("SELECT INTO" if node.intoClause is not None else "FOR UPDATE/SHARE", hint=READ_HINT)
    if name == "FuncCall":
        qualified = _names(node.funcname)
        if not function_allowed(qualified):
            raise _refused(
                f"a call to {'.'.join(qualified)}()",
                hint="only built-in scalar, aggregate and window functions, PostGIS ST_* geometry functions "
                "and distance_km are allowed (docs/security.md)",
            )
        functions.append(".".join(qualified))
    elif name == "RangeVar":
        schema, relation = node.schemaname, node.relname
        if schema in PG_SECRET_SCHEMAS or (
            schema in (None, "pg_catalog", "information_schema") and relation in PG_SECRET_RELATIONS
        ):
            raise _refused(f"reading {relation}", hint="this catalog holds secrets (passwords, other sessions, files)")
    elif name == "CommonTableExpr" and type(node.ctequery).__name__ != "SelectStmt":
        raise _refused(f"a data-modifying WITH ({_statement_name(node.ctequery)})", hint=READ_HINT)


def function_allowed(qualified: tuple[str, ...]) -> bool:
    """Tell whether a parsed, possibly schema-qualified function name may be called.

    Parameters
    ----------
    qualified : tuple of str
        ``("count",)``, ``("pg_catalog", "count")``, ``("public", "st_distance")``...
        Names are compared as PostgreSQL resolves them: the parser has already folded
        unquoted names to lower case, and a quoted ``"Count"`` is another (unknown) function.

    Returns
    -------
    bool
    """
    if len(qualified) == 1:
        schema, name = None, qualified[0]
    elif len(qualified) == 2:
        schema, name = qualified
    else:
        return False
    if schema in (None, "pg_catalog") and name in PG_FUNCTIONS:
        return True
    if schema in (None, "public"):
        if name in PG_PROJECT_FUNCTIONS:
            return True
        return name.startswith("st_") and name not in PG_RASTER_FUNCTIONS
    return False


# --------------------------------------------------------------------------- SQLite


def sqlite_statements(sql: str) -> list[str]:
    """Split SQL text into SQLite statements with SQLite's own tokenizer.

    A statement ends at the first ``;`` for which :func:`sqlite3.complete_statement` says the
    text so far is complete, so semicolons inside ``'...'``, ``"..."``, ``[...]``, backquotes,
    comments and ``CREATE TRIGGER ... END`` bodies never split. Statements that hold only
    comments and whitespace are dropped.

    Parameters
    ----------
    sql : str

    Returns
    -------
    list of str
        Statements without their terminating semicolon.
    """
    statements, start = [], 0
    for index, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start : index + 1]):
            statements.append(sql[start:index])
            start = index + 1
    statements.append(sql[start:])
    return [s for s in statements if _sqlite_first_word(s) is not None]


def _skip_sqlite_comments(sql: str) -> str:
    """Drop leading whitespace and comments (only leading ones: nothing else can precede them)."""
    text = sql
    while True:
        text = text.lstrip()
        if text.startswith("--"):
            newline = text.find("\n")
            text = "" if newline < 0 else text[newline + 1 :]
        elif text.startswith("/*"):
            end = text.find("*/", 2)
            text = "" if end < 0 else text[end + 2 :]
        else:
            return text


def _sqlite_first_word(sql: str) -> str | None:
    rest = _skip_sqlite_comments(sql)
    if not rest:
        return None
    match = re.match(r"[A-Za-z_]\w*", rest)
    return match.group().upper() if match else rest[:20]


def check_sqlite(sql: str) -> Statement:
    """Check that ``sql`` is one SQLite statement starting with a reading keyword.

    Parameters
    ----------
    sql : str
        The query as given, with its comments and ``:name`` placeholders.

    Returns
    -------
    Statement

    Raises
    ------
    QueryError, ReadOnlyViolation
    """
    statements = sqlite_statements(sql)
    if not statements:
        raise _empty()
    if len(statements) > 1:
        raise _one_statement(len(statements), [_sqlite_first_word(s) or "?" for s in statements])
    text = statements[0].strip()
    kind = _sqlite_first_word(text) or ""
    if kind not in SQLITE_READING_KINDS:
        if kind.isidentifier():
            raise _refused(kind, hint=READ_HINT + " (or a schema-reading PRAGMA on SQLite)")
        raise QueryError(f"cannot run a statement starting with {kind!r}", hint=READ_HINT)
    return Statement(sql=text, kind=kind, driver_sql=text)
