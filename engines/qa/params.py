"""Fitted parameters, stored as literals so the engine needs no data at run time.

Produced by ``python -m engines.qa.calibration`` (see that module for how) from the bq_faq dev
KB only (leave-one-phrasing-out and leave-one-entry-out); no query file was read. Refit and paste
the printed lines here whenever normalisation, tokens or features change.
"""

# Weight of the jieba-word index in the fused score; the char index gets 1 - this.
WORD_WEIGHT = 0.15

# Logistic calibration over engine.FEATURES: p = sigmoid(BIAS + sum(COEF[i] * feature[i])).
CALIBRATION_BIAS = 5.1027
CALIBRATION_COEF = (-11.609, 4.9295, 1.7906, 2.7871, 1.3598)

# answer if p >= T_ANSWER; suggest the top 3 if p >= T_SUGGEST; else hand over.
T_ANSWER = 0.8388
T_SUGGEST = 0.0318
