"""Evaluation with people: human real-vs-fake studies (HYPE∞).

Nothing here imports Keras or a backend: a study needs only the Python
standard library (and NumPy to read `.npy`/`.npz` image arrays).

Example:

```python
from keras_gen.evaluation import HumanStudy, serve_study

study = HumanStudy("samples/", "real/", output="judgments.jsonl", seed=0)
server, url = serve_study(study)          # http://127.0.0.1:<free port>/
...                                       # people judge images in the browser
print(study.report()["hype_infinity"])    # {'rate': ..., 'ci': [..., ...], ...}
server.shutdown()
```
"""

from keras_gen.evaluation.human_study import HumanStudy
from keras_gen.evaluation.human_study import StudyImage
from keras_gen.evaluation.human_study import bootstrap_rate_ci
from keras_gen.evaluation.human_study import format_report
from keras_gen.evaluation.human_study import hype_report
from keras_gen.evaluation.human_study import load_images
from keras_gen.evaluation.human_study import make_server
from keras_gen.evaluation.human_study import read_judgments
from keras_gen.evaluation.human_study import serve_study
