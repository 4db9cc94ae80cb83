"""The test machinery shared by every mode (learner, reference, author check, grading):
``plugin`` (the pytest plugin), ``targets`` (where the code under test comes from), ``checks``,
``fingerprints`` and ``gradcheck`` (teaching assertions), ``contracts`` with ``contract_messages``,
``values`` and ``ledger`` (the call contracts checked on every graded call), ``timelimit`` (the
CPU-time limit),
``splice`` and ``borrow`` (prerequisites taken from the reference's source and run as the
learner's own code), ``runner`` (starts pytest for ``kata`` and reads its report) and ``focus``
(``kata check``'s single session)."""
