"""Study protocol logic. The pure modules (``eligibility_rules``, ``allocation``,
``constants``, ``exceptions``) import neither Flask nor the database."""
