{#-
  Schemas are named exactly as configured (`staging`, `intermediate`, `marts`, `dq`,
  `reference`), not prefixed with the target schema: the working database holds one
  environment, and `raw`/`dq` written by ingest sit beside them under fixed names.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
