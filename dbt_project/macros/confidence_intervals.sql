{#-
  The 95% intervals of outcomes.md section 4 and section 2, in one place. Every rate of
  marts.outcome_measure_cells and every relative rate index takes its bounds from here.
-#}

{#- z for a two-sided 95% interval, to the precision outcomes.md fixes. -#}
{% macro z_95() -%}
    1.959964
{%- endmacro %}

{#-
  A bound of the Wilson score interval for x of n, as a percentage; NULL when n = 0.
  centre = (x + z²/2) ÷ (n + z²), half-width = z·√(x(n − x)/n + z²/4) ÷ (n + z²). The bound
  is clamped to 0 … 100: mathematically it never leaves that range, but for x = 0 or x = n
  floating point can land a hair outside, which would round to "-0.0" or "100.0…1".
-#}
{% macro wilson_bound(x, n, side) -%}
    {%- set z = z_95() -%}
    {%- set sign = '-' if side == 'lower' else '+' -%}
    case when ({{ n }}) > 0 then least(100.0, greatest(0.0, 100.0 * (
        ((({{ x }}) + {{ z }} * {{ z }} / 2.0) / (({{ n }}) + {{ z }} * {{ z }}))
        {{ sign }} {{ z }} * sqrt(
            cast({{ x }} as double) * (({{ n }}) - ({{ x }})) / ({{ n }}) + {{ z }} * {{ z }} / 4.0
        ) / (({{ n }}) + {{ z }} * {{ z }})
    ))) end
{%- endmacro %}

{#-
  The relative rate index (a ÷ n) ÷ (c ÷ m) of a group with a of n against the reference
  group with c of m; NULL when any of the four is 0.
-#}
{% macro relative_rate_index(a, n, c, m) -%}
    case when ({{ a }}) > 0 and ({{ n }}) > 0 and ({{ c }}) > 0 and ({{ m }}) > 0
        then (cast({{ a }} as double) / ({{ n }})) / (cast({{ c }} as double) / ({{ m }})) end
{%- endmacro %}

{#-
  A bound of the RRI's 95% interval, exp(ln RRI ∓ z·√(1/a − 1/n + 1/c − 1/m)); NULL when
  any of the four is 0.
-#}
{% macro relative_rate_index_bound(a, n, c, m, side) -%}
    {%- set sign = '-' if side == 'lower' else '+' -%}
    case when ({{ a }}) > 0 and ({{ n }}) > 0 and ({{ c }}) > 0 and ({{ m }}) > 0
        then exp(ln({{ relative_rate_index(a, n, c, m) }}) {{ sign }} {{ z_95() }} * sqrt(
            1.0 / ({{ a }}) - 1.0 / ({{ n }}) + 1.0 / ({{ c }}) - 1.0 / ({{ m }})
        )) end
{%- endmacro %}
