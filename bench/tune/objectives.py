"""Objectives and search spaces shared by every tuner in the HPO benchmark.

Each space is written once in the neutral JSON form that `corral tune-protocol` reads; tuners.py
derives Optuna's distributions from the same dictionaries.
"""

import math

import numpy as np

# ---------------------------------------------------------------- synthetic black boxes (S2/S3)

BRANIN_SPACE = {"params": [
    {"name": "x1", "type": "float", "low": -5.0, "high": 10.0},
    {"name": "x2", "type": "float", "low": 0.0, "high": 15.0},
]}


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


HARTMANN6_SPACE = {"params": [{"name": f"x{i}", "type": "float", "low": 0.0, "high": 1.0} for i in range(6)]}
_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


ROSENBROCK5_SPACE = {"params": [{"name": f"x{i}", "type": "float", "low": -5.0, "high": 10.0} for i in range(5)]}


def rosenbrock5(p):
    x = [p[f"x{i}"] for i in range(5)]
    return float(sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4)))


# ---------------------------------------------------------------- SVC on digits (S2/S3)

SVC_SPACE = {"params": [
    {"name": "C", "type": "float", "low": 1e-3, "high": 1e3, "log": True},
    {"name": "gamma", "type": "float", "low": 1e-5, "high": 1e1, "log": True},
    {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly", "sigmoid"]},
    {"name": "degree", "type": "int", "low": 2, "high": 5},
]}

_digits = None


def svc_digits(p):
    """3-fold CV error rate of an SVC on scikit-learn's digits (deterministic)."""
    global _digits
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC
    if _digits is None:
        _digits = load_digits(return_X_y=True)
    X, y = _digits
    X = X / 16.0
    model = SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"], degree=p["degree"], random_state=0,
                max_iter=20000)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    return 1.0 - float(np.mean(cross_val_score(model, X, y, cv=cv)))


PROBLEMS = {
    # name: (space, objective, known optimum or None = best seen in any run)
    "branin": (BRANIN_SPACE, branin, 0.397887),
    "hartmann6": (HARTMANN6_SPACE, hartmann6, -3.32237),
    "rosenbrock5": (ROSENBROCK5_SPACE, rosenbrock5, 0.0),
    "svc_digits": (SVC_SPACE, svc_digits, None),
}

# ---------------------------------------------------------------- overhead spaces (S1)

OVERHEAD5_SPACE = {"params": [
    {"name": "x", "type": "float", "low": -5.0, "high": 5.0},
    {"name": "y", "type": "float", "low": 0.0, "high": 1.0},
    {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "log": True},
    {"name": "n", "type": "int", "low": 1, "high": 100},
    {"name": "opt", "type": "categorical", "choices": ["a", "b", "c", "d"]},
]}

OVERHEAD20_SPACE = {"params":
    [{"name": f"f{i}", "type": "float", "low": -5.0, "high": 5.0} for i in range(10)]
    + [{"name": f"l{i}", "type": "float", "low": 1e-5, "high": 1.0, "log": True} for i in range(4)]
    + [{"name": f"i{i}", "type": "int", "low": 1, "high": 100} for i in range(4)]
    + [{"name": f"c{i}", "type": "categorical", "choices": ["a", "b", "c", "d"]} for i in range(2)]}


def overhead_objective(p):
    """Cheap function of every parameter (the time measured is the tuner's, not this)."""
    v = 0.0
    for k, x in sorted(p.items()):
        if isinstance(x, str):
            v += 0.3 * (ord(x) - ord("a"))
        elif k.startswith("l") or k == "lr":
            v += (math.log10(x) + 3) ** 2
        else:
            v += (x / 10.0 - 0.2) ** 2
    return v


# ---------------------------------------------------------------- MLP learning curves (S4)

MLP_SPACE = {"params": [
    {"name": "lr", "type": "float", "low": 1e-4, "high": 3e-1, "log": True},
    {"name": "alpha", "type": "float", "low": 1e-6, "high": 1e-1, "log": True},
    {"name": "units", "type": "int", "low": 8, "high": 128, "log": True},
    {"name": "batch", "type": "categorical", "choices": ["16", "32", "64", "128"]},
]}

_mlp_data = None


def _mlp_split():
    global _mlp_data
    if _mlp_data is None:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        X, y = load_digits(return_X_y=True)
        X = X / 16.0
        X_tr, X_rest, y_tr, y_rest = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
        X_va, X_te, y_va, y_te = train_test_split(X_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest)
        _mlp_data = (X_tr, y_tr, X_va, y_va, X_te, y_te)
    return _mlp_data


class MlpCurve:
    """One MLP trained epoch by epoch; `step()` trains one epoch and returns validation log-loss."""

    def __init__(self, p):
        import warnings
        from sklearn.neural_network import MLPClassifier
        warnings.filterwarnings("ignore")
        self.X_tr, self.y_tr, self.X_va, self.y_va, self.X_te, self.y_te = _mlp_split()
        self.classes = np.unique(self.y_tr)
        self.model = MLPClassifier(hidden_layer_sizes=(int(p["units"]),), learning_rate_init=p["lr"],
                                   alpha=p["alpha"], batch_size=int(p["batch"]), random_state=0)
        self.epochs = 0

    def step(self):
        from sklearn.metrics import log_loss
        self.model.partial_fit(self.X_tr, self.y_tr, classes=self.classes)
        self.epochs += 1
        proba = self.model.predict_proba(self.X_va)
        v = float(log_loss(self.y_va, np.clip(proba, 1e-15, 1.0), labels=self.classes))
        return v if math.isfinite(v) else float("nan")

    def test_logloss(self):
        from sklearn.metrics import log_loss
        proba = self.model.predict_proba(self.X_te)
        return float(log_loss(self.y_te, np.clip(proba, 1e-15, 1.0), labels=self.classes))
