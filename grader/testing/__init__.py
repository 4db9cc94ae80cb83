"""The test machinery shared by every mode (learner, reference, author check, grading):
``plugin`` (the pytest plugin), ``targets`` (where the code under test comes from), ``checks``,
``fingerprints`` and ``gradcheck`` (teaching assertions), ``timelimit`` (the CPU-time limit) and
``runner`` (starts pytest for ``kata`` and reads its report)."""
