{#- The methodology's period of a date or timestamp: its calendar month as text 'YYYY-MM'. -#}
{% macro period_of(expression) -%}
    strftime(cast({{ expression }} as date), '%Y-%m')
{%- endmacro %}
