"""Knowledge distillation with Keras 3 ops only (runs on TensorFlow and JAX alike).

The training model outputs the student's and the teacher's probabilities side by side (N, 2K);
:class:`DistillLoss` splits them. This keeps Keras' own ``fit`` (no custom train step, which would
differ per backend).

Three ways: offline (:func:`wrap`, a trained teacher, frozen); stored (the teacher's probabilities
computed once and passed after the labels as targets: no teacher at training time); and online
(:func:`wrap` with ``train_teacher``: teacher and student trained together from scratch on the same
batches, the student learning from the teacher's current soft labels). Online fits a 15-minute GPU
loan better: each network gets the whole time instead of half, and a student following the
teacher's trajectory learns at least as well as from the finished teacher (Jin et al. 2019,
"Knowledge Distillation via Route Constrained Optimization").
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable("emotion_monitor")
class DistillLoss(keras.losses.Loss):
    """(1 - alpha) * CE(labels, student) + alpha * T^2 * KL(teacher_T || student_T).

    Probabilities are turned back into logits up to a constant with log(p), which is all a
    tempered softmax needs.

    With ``online`` the teacher half is trained too: its own cross-entropy (label smoothing
    ``teacher_label_smoothing``) is added, and the distillation term sees it through stop_gradient,
    so the teacher learns from the labels only.

    ``class_weight`` (one weight a class) scales each face's loss by its label's weight
    (``sum_c y_c w_c``, so vote distributions weigh by their shares): the lever for rare classes.
    """

    def __init__(self, classes=7, alpha=0.7, temperature=4.0, label_smoothing=0.0, online=False,
                 teacher_label_smoothing=0.0, class_weight=None, name="distill", **kwargs):
        super().__init__(name=name, **kwargs)
        self.classes, self.alpha, self.temperature, self.label_smoothing = classes, alpha, temperature, label_smoothing
        self.online, self.teacher_label_smoothing = bool(online), teacher_label_smoothing
        self.class_weight = [float(w) for w in class_weight] if class_weight else None
        if self.class_weight and len(self.class_weight) != classes:
            raise ValueError(f"class_weight needs {classes} weights, got {len(self.class_weight)}")

    def call(self, y_true, y_pred):
        k = self.classes
        if y_pred.shape[-1] == k:  # stored teacher: the targets are [labels | teacher probabilities]
            s, labels, t = y_pred, ops.cast(y_true[:, :k], y_pred.dtype), ops.cast(y_true[:, k:], y_pred.dtype)
        else:
            s, t = y_pred[:, :k], y_pred[:, k:]
            labels = ops.cast(y_true, s.dtype)
        y_s = labels * (1 - self.label_smoothing) + self.label_smoothing / k if self.label_smoothing else labels
        eps = 1e-7
        log_s = ops.log(ops.clip(s, eps, 1.0))
        log_t = ops.log(ops.clip(t, eps, 1.0))
        ce = -ops.sum(y_s * log_s, axis=-1)
        temp = self.temperature
        ls_t = ops.log_softmax(log_s / temp, axis=-1)
        lt_t = ops.log_softmax(ops.stop_gradient(log_t) / temp, axis=-1)
        kl = ops.sum(ops.exp(lt_t) * (lt_t - ls_t), axis=-1) * temp * temp
        loss = (1 - self.alpha) * ce + self.alpha * kl
        if self.online:
            ls = self.teacher_label_smoothing
            y_t = labels * (1 - ls) + ls / k if ls else labels
            loss = loss - ops.sum(y_t * log_t, axis=-1)
        if self.class_weight:
            loss = loss * ops.sum(labels * ops.convert_to_tensor(self.class_weight, dtype=labels.dtype), axis=-1)
        return loss

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "alpha": self.alpha,
                "temperature": self.temperature, "label_smoothing": self.label_smoothing,
                "online": self.online, "teacher_label_smoothing": self.teacher_label_smoothing,
                "class_weight": self.class_weight}


def _hits(labels, probs):
    return ops.cast(ops.equal(ops.argmax(labels, axis=-1), ops.argmax(probs, axis=-1)), "float32")


@keras.saving.register_keras_serializable("emotion_monitor")
def student_accuracy(y_true, y_pred):
    return _hits(y_true, y_pred[:, : ops.shape(y_true)[-1]])


student_accuracy.__name__ = "accuracy"


@keras.saving.register_keras_serializable("emotion_monitor")
def stored_student_accuracy(y_true, y_pred):
    """Accuracy when the targets carry the teacher's probabilities after the labels."""
    return _hits(y_true[:, : ops.shape(y_pred)[-1]], y_pred)


stored_student_accuracy.__name__ = "accuracy"


@keras.saving.register_keras_serializable("emotion_monitor")
def teacher_accuracy(y_true, y_pred):
    return _hits(y_true, y_pred[:, ops.shape(y_true)[-1]:])


def wrap(student: keras.Model, teacher: keras.Model, input_shape, train_teacher: bool = False) -> keras.Model:
    """Training model: the same (augmented) images go to the teacher and the student, whose
    probabilities come out side by side.

    By default the teacher is trained already and frozen (offline distillation). With
    ``train_teacher`` (online distillation) both networks learn: the teacher's gradient comes from
    its own cross-entropy in :class:`DistillLoss` (``online=True``), which stops it inside the
    distillation term.
    """
    teacher.trainable = train_teacher
    # a wrapper of its own name, so a teacher of the student's architecture does not clash with it
    teacher = keras.Model(teacher.inputs, teacher.output, name="teacher")
    x = inputs = keras.Input(input_shape)
    s = student(x)
    if train_teacher:
        t = ops.cast(teacher(x), s.dtype)
    else:
        t = ops.stop_gradient(ops.cast(teacher(x, training=False), s.dtype))
    out = layers.Concatenate(dtype="float32", name="student_teacher")([s, t])
    return keras.Model(inputs, out, name="distill_online" if train_teacher else "distill")
