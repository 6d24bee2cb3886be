//! A least-recently-used cache as a class, ported three ways. The scenario
//! (assets/classes_reference.py) drives each through the same phases:
//! construct many, insert, look up, read an attribute. Their times show
//! what crossing the boundary costs per method call, and what a port can do
//! about it.
//!
//! - `LruCache`: the plain port, one method call per Python call, a
//!   `#[pyo3(get)]` field behind PyO3's runtime borrow check;
//! - `FrozenLru`: `frozen`, so no borrow flag: the getter reads the field
//!   straight, and the cache sits behind a `Mutex` instead;
//! - `BatchLru`: the plain port plus methods that do a whole batch per call
//!   (`insert_many`, `get_many`), which the scenario uses when they exist.
//!
//! Keys are Python ints (`i64`), as the scenario's are; values any object.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;

/// No slot: the end of the recency list.
const NONE: usize = usize::MAX;

/// One entry, linked to the next older and newer ones by slot number.
struct Node {
    key: i64,
    value: Py<PyAny>,
    older: usize,
    newer: usize,
}

/// The cache itself, with no Python in it but the values it holds: a map
/// from key to slot, and the slots in a list from least to most recently
/// used. Every operation is O(1), as OrderedDict's are.
struct Lru {
    maxsize: usize,
    slots: HashMap<i64, usize, BuildHasherDefault<IntHasher>>,
    nodes: Vec<Node>,
    oldest: usize,
    newest: usize,
}

impl Lru {
    /// Empty, and no room taken ahead: a cache made and dropped unused
    /// (the scenario's `construct`) must cost no more than Python's.
    fn new(maxsize: usize) -> Self {
        Self {
            maxsize,
            slots: HashMap::default(),
            nodes: Vec::new(),
            oldest: NONE,
            newest: NONE,
        }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn unlink(&mut self, at: usize) {
        let (older, newer) = (self.nodes[at].older, self.nodes[at].newer);
        match older {
            NONE => self.oldest = newer,
            o => self.nodes[o].newer = newer,
        }
        match newer {
            NONE => self.newest = older,
            n => self.nodes[n].older = older,
        }
    }

    fn push_newest(&mut self, at: usize) {
        self.nodes[at].older = self.newest;
        self.nodes[at].newer = NONE;
        match self.newest {
            NONE => self.oldest = at,
            n => self.nodes[n].newer = at,
        }
        self.newest = at;
    }

    fn get(&mut self, py: Python<'_>, key: i64) -> Option<Py<PyAny>> {
        let at = *self.slots.get(&key)?;
        self.unlink(at);
        self.push_newest(at);
        Some(self.nodes[at].value.clone_ref(py))
    }

    /// Stores `value`, dropping the least recently used key first when the
    /// cache is full (as cachetools does); its slot takes the new key.
    fn set(&mut self, key: i64, value: Py<PyAny>) -> PyResult<()> {
        if self.maxsize == 0 {
            return Err(PyValueError::new_err("value too large"));
        }
        if let Some(&at) = self.slots.get(&key) {
            self.nodes[at].value = value;
            self.unlink(at);
            self.push_newest(at);
            return Ok(());
        }
        let at = if self.len() >= self.maxsize {
            let at = self.oldest;
            self.unlink(at);
            self.slots.remove(&self.nodes[at].key);
            self.nodes[at].key = key;
            self.nodes[at].value = value;
            at
        } else {
            self.nodes.push(Node {
                key,
                value,
                older: NONE,
                newer: NONE,
            });
            self.nodes.len() - 1
        };
        self.slots.insert(key, at);
        self.push_newest(at);
        Ok(())
    }
}

/// Keys are ints the caller chose, not an attacker: one multiply spreads
/// them (SipHash, the default, would cost more than the rest of a lookup).
#[derive(Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The plain port: what a first port looks like.
#[pyclass(subclass)]
struct LruCache {
    inner: Lru,
    #[pyo3(get)]
    maxsize: usize,
}

#[pymethods]
impl LruCache {
    #[new]
    fn new(maxsize: usize) -> Self {
        Self {
            inner: Lru::new(maxsize),
            maxsize,
        }
    }

    fn __setitem__(&mut self, key: i64, value: Py<PyAny>) -> PyResult<()> {
        self.inner.set(key, value)
    }

    fn __getitem__(&mut self, py: Python<'_>, key: i64) -> PyResult<Py<PyAny>> {
        self.inner
            .get(py, key)
            .ok_or_else(|| PyKeyError::new_err(key))
    }

    #[pyo3(signature = (key, default=None))]
    fn get(&mut self, py: Python<'_>, key: i64, default: Option<Py<PyAny>>) -> Option<Py<PyAny>> {
        self.inner.get(py, key).or(default)
    }

    fn __contains__(&self, key: i64) -> bool {
        self.inner.slots.contains_key(&key)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn currsize(&self) -> usize {
        self.inner.len()
    }
}

/// `frozen`: Python can never hand out `&mut` to it, so PyO3 keeps no
/// borrow flag and a `#[pyo3(get)]` field is read without a check. What
/// changes sits behind a lock of its own.
#[pyclass(frozen)]
struct FrozenLru {
    inner: Mutex<Lru>,
    #[pyo3(get)]
    maxsize: usize,
}

impl FrozenLru {
    fn lru(&self) -> std::sync::MutexGuard<'_, Lru> {
        // A panic inside a method poisons the lock; the cache is still whole.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl FrozenLru {
    #[new]
    fn new(maxsize: usize) -> Self {
        Self {
            inner: Mutex::new(Lru::new(maxsize)),
            maxsize,
        }
    }

    fn __setitem__(&self, key: i64, value: Py<PyAny>) -> PyResult<()> {
        self.lru().set(key, value)
    }

    fn __getitem__(&self, py: Python<'_>, key: i64) -> PyResult<Py<PyAny>> {
        self.lru()
            .get(py, key)
            .ok_or_else(|| PyKeyError::new_err(key))
    }

    #[pyo3(signature = (key, default=None))]
    fn get(&self, py: Python<'_>, key: i64, default: Option<Py<PyAny>>) -> Option<Py<PyAny>> {
        self.lru().get(py, key).or(default)
    }

    fn __contains__(&self, key: i64) -> bool {
        self.lru().slots.contains_key(&key)
    }

    fn __len__(&self) -> usize {
        self.lru().len()
    }

    #[getter]
    fn currsize(&self) -> usize {
        self.lru().len()
    }
}

/// The plain port and two methods that do more per call: one crossing for
/// a whole batch, the conversion of the batch included.
#[pyclass(extends = LruCache)]
struct BatchLru;

#[pymethods]
impl BatchLru {
    #[new]
    fn new(maxsize: usize) -> PyClassInitializer<Self> {
        PyClassInitializer::from(LruCache::new(maxsize)).add_subclass(BatchLru)
    }

    fn insert_many(mut slf: PyRefMut<'_, Self>, pairs: Vec<(i64, Py<PyAny>)>) -> PyResult<()> {
        let cache = slf.as_super();
        for (key, value) in pairs {
            cache.inner.set(key, value)?;
        }
        Ok(())
    }

    fn get_many(mut slf: PyRefMut<'_, Self>, keys: Vec<i64>) -> Vec<Option<Py<PyAny>>> {
        let py = slf.py();
        let cache = slf.as_super();
        keys.into_iter().map(|k| cache.inner.get(py, k)).collect()
    }
}

#[pymodule]
mod classes {
    #[pymodule_export]
    use super::{BatchLru, FrozenLru, LruCache};
}
