{#-
  Fails (with the test's own severity) for every consistency check of the given check
  severity that did not pass. Attached twice to dq.consistency_checks: for checks whose
  configured severity is `error` the test is at error (dbt build fails), for `warn` it warns.
-#}
{% test no_failed_consistency_checks(model, check_severity) %}

select *
from {{ model }}
where severity = '{{ check_severity }}'
    and not passed

{% endtest %}
