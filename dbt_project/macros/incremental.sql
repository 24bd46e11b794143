{#-
  Key-incremental models (decisions.md, "National scale"). The pipeline passes
  CHECKPOINT_DBT_CHANGES_SINCE: the dq.deliveries seen_order its last complete build had
  taken in (in the environment, not as a dbt var: a var that changes makes dbt parse the
  whole project again, about 4 s of every run). A model then rebuilds only the keys its
  int_changes__* model lists (every key a delivery taken in since could change, or a
  withdrawn delivery's rows described): its pre-hook deletes
  those keys' rows and its select gives them again, all of them from the whole history. With
  no such variable (a first build, a build by hand, changed definitions) every key is rebuilt.
-#}
{% macro changes_since() %}
    {%- set seen_order = env_var('CHECKPOINT_DBT_CHANGES_SINCE', '') -%}
    {{ return(seen_order | int if seen_order else none) }}
{% endmacro %}

{#- An int_changes__* working set when every key is rebuilt: its one column, the key, as
    text, and no rows. -#}
{% macro no_changed_keys(key) %}
select cast(null as varchar) as {{ key }}
where false
{% endmacro %}

{#- Whether this run rebuilds only the changed keys of an existing table. -#}
{% macro builds_changed_keys_only() %}
    {{ return(changes_since() is not none and is_incremental()) }}
{% endmacro %}

{#- The pre-hook of a key-incremental model: its rows of the keys about to be rebuilt. The
    model may name the key otherwise than its changes model does (``changes_key``). -#}
{% macro delete_changed_keys(key, changes, changes_key=none) %}
    {% if is_incremental() %}
        delete from {{ this }}
        {% if changes_since() is not none %}
        where {{ key }} in (select {{ changes_key or key }} from {{ changes }})
        {% endif %}
    {% endif %}
{% endmacro %}

{#- The condition on a key-incremental model's input: the changed keys, when that is all it
    rebuilds, else every key. -#}
{% macro is_changed_key(key, changes) %}
    {%- if builds_changed_keys_only() -%}
        {{ key }} in (select {{ key }} from {{ changes }})
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}

{#- The relation a model built in an earlier run, or none: what its changes model compares with. -#}
{% macro previous_build_of(model_name) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {{ return(adapter.get_relation(database=target.database, schema='intermediate', identifier=model_name)) }}
{% endmacro %}

{#- A `where` over a model's rows by the delivery they came from (`delivery_sha256`): taken in
    since the last complete build, or no longer in force (a re-delivery replaced it). -#}
{% macro from_deliveries_taken_in_since(since) %}
    delivery_sha256 in (
        select sha256 from {{ ref('stg_dq__deliveries') }} where status = 'accepted' and seen_order > {{ since }}
    )
{% endmacro %}

{% macro from_deliveries_no_longer_in_force() %}
    delivery_sha256 not in (select sha256 from {{ ref('stg_dq__deliveries') }} where status = 'accepted')
{% endmacro %}
