# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The deployable serving package (AWS Lambda, or uvicorn on a laptop).

Where a prediction is served: ``handler`` (the Lambda entry point, Mangum) -> ``app``
(FastAPI: /health, /model-info, /predict) -> ``validation`` (strict body checks) ->
``bundle`` (the verified ONNX model, described by ``manifest``). ``logs`` writes one JSON
line per request; ``settings`` reads the ``MODELGATE_*`` environment; ``local`` serves
with uvicorn. Only fastapi, starlette, pydantic, mangum, numpy, onnxruntime, boto3 (lazily,
for S3) and the standard library may be imported here: never mlflow, pandas, scipy,
scikit-learn, skl2onnx or the bot.
"""
