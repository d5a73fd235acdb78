"""Pretrained-style constructors in the style of `keras.applications`.

Installed as `keras_gen.applications`; preset folders live in `presets/`.
"""
