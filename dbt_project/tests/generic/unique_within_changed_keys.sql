{#-
  dbt's `unique`, over the rows a key-incremental build could have changed (decisions.md,
  "Tests of a key-incremental build"). In a build of every key it is `unique` itself. In a
  build of changed keys it reads only the rows of the keys its working set (`changes`, an
  int_changes__* model, whose one column is the key) lists: the other rows are those a
  build before this one tested, unchanged since. Exact only where the tested column (or
  expression) determines the key, so that two rows equal in it are both read or neither:
  the key itself, or a text that begins with it. Depending on `changes` (a ref) makes dbt
  run the test after the working set is built, also for a view upstream of it.
-#}
{% test unique_within_changed_keys(model, column_name, changes) %}

{%- set scoped = changes_since() is not none and execute -%}
{%- if scoped -%}
    {%- set key_columns = adapter.get_columns_in_relation(changes) -%}
    {%- if key_columns | length != 1 -%}
        {{ exceptions.raise_compiler_error(changes ~ " must have one column, the key, to scope a test by") }}
    {%- endif -%}
    {%- set key = adapter.quote(key_columns[0].name) -%}
{%- endif %}

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
{%- if scoped %}
    and {{ key }} in (select {{ key }} from {{ changes }})
{%- endif %}
group by {{ column_name }}
having count(*) > 1

{% endtest %}
