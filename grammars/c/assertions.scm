; Assertions: assert(e), __VERIFIER_assert(e), and SV-COMP's error calls, which assert that they are unreachable.
(call_expression
  function: (identifier) @_callee
  (#match? @_callee "^(assert|__VERIFIER_assert|reach_error|__VERIFIER_error)$")) @assertion
