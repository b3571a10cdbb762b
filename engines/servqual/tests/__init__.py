"""Tests of the survey-statistics engine: the product issue's worked figures, behaviour on
hand-built waves, bad input, and (when scipy / statsmodels are installed) the references."""
