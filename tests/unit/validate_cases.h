/* The validator's table-driven cases (test_validate_rules.c), run from
 * the validator tests registered in unit.h (test_validate.c). */
#ifndef STRATBOX_TEST_VALIDATE_CASES_H
#define STRATBOX_TEST_VALIDATE_CASES_H

/* CPython 3.11's readings the validator must share: f-string fields,
 * numbers glued to attributes, NFKC names, INDENT/DEDENT. */
void validate_tokenizer_corners(void);
/* source -> the rule that refuses it (or nothing), with its severity */
void validate_rule_table(void);
/* errors before warnings, JSON severity, the report's cap, dedup */
void validate_result_shape(void);
/* a long line and deep nesting: right positions, no recursion */
void validate_large_inputs(void);

#endif
