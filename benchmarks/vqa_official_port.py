"""A straight Python 3 port of the official VQA evaluation, used only as a benchmark peer.

Ports GT-Vision-Lab/VQA ``PythonHelperTools/vqaTools/vqa.py`` (``VQA``: index + ``loadRes``)
and ``PythonEvaluationTools/vqaEvaluation/vqaEval.py`` (``VQAEval``), keeping the official
structure (per-question loops, dict comparisons, in-place mutation of the ground truth).
Only Python 2 syntax was changed (``print``), progress printing dropped, and a ``revision``
switch selects the evaluation loop of the 2021 revision (a013f00) or the pre-2021 one
(c4e6a0e). Not part of the mmbench package; mmbench's own code is independent of it.
"""

from __future__ import annotations

import copy
import json
import re

from mmbench.normalize.vqa import ARTICLES, CONTRACTIONS, NUMBER_WORDS, PUNCTUATION


class VQA:
    def __init__(self, annotation_file=None, question_file=None):
        self.dataset = {}
        self.questions = {}
        self.qa = {}
        self.qqa = {}
        if annotation_file is not None and question_file is not None:
            with open(annotation_file) as fh:
                self.dataset = json.load(fh)
            with open(question_file) as fh:
                self.questions = json.load(fh)
            self.createIndex()

    def createIndex(self):
        qa = {ann["question_id"]: [] for ann in self.dataset["annotations"]}
        qqa = {ann["question_id"]: [] for ann in self.dataset["annotations"]}
        for ann in self.dataset["annotations"]:
            qa[ann["question_id"]] = ann
        for ques in self.questions["questions"]:
            qqa[ques["question_id"]] = ques
        self.qa = qa
        self.qqa = qqa

    def getQuesIds(self):
        return [ann["question_id"] for ann in self.dataset["annotations"]]

    def loadRes(self, resFile, quesFile):
        res = VQA()
        with open(quesFile) as fh:
            res.questions = json.load(fh)
        for key in ("info", "task_type", "data_type", "data_subtype", "license"):
            res.dataset[key] = copy.deepcopy(self.questions.get(key))
        with open(resFile) as fh:
            anns = json.load(fh)
        assert type(anns) is list, "results is not an array of objects"
        annsQuesIds = [ann["question_id"] for ann in anns]
        assert set(annsQuesIds) == set(self.getQuesIds()), (
            "Results do not correspond to current VQA set."
        )
        for ann in anns:
            quesId = ann["question_id"]
            qaAnn = self.qa[quesId]
            ann["image_id"] = qaAnn["image_id"]
            ann["question_type"] = qaAnn["question_type"]
            ann["answer_type"] = qaAnn["answer_type"]
        res.dataset["annotations"] = anns
        res.createIndex()
        return res


class VQAEval:
    def __init__(self, vqa, vqaRes, n=2, revision="2021"):
        self.n = n
        self.revision = revision
        self.accuracy = {}
        self.evalQA = {}
        self.evalQuesType = {}
        self.evalAnsType = {}
        self.vqa = vqa
        self.vqaRes = vqaRes
        self.params = {"question_id": vqa.getQuesIds()}
        self.contractions = dict(CONTRACTIONS)
        self.manualMap = dict(NUMBER_WORDS)
        self.articles = list(ARTICLES)
        self.periodStrip = re.compile(r"(?!<=\d)(\.)(?!\d)")
        self.commaStrip = re.compile(r"(\d)(\,)(\d)")
        self.punct = list(PUNCTUATION)

    def evaluate(self, quesIds=None):
        if quesIds is None:
            quesIds = [quesId for quesId in self.params["question_id"]]
        gts = {}
        res = {}
        for quesId in quesIds:
            gts[quesId] = self.vqa.qa[quesId]
            res[quesId] = self.vqaRes.qa[quesId]
        accQA = []
        accQuesType = {}
        accAnsType = {}
        for quesId in quesIds:
            if self.revision == "2021":
                for ansDic in gts[quesId]["answers"]:
                    ansDic["answer"] = ansDic["answer"].replace("\n", " ")
                    ansDic["answer"] = ansDic["answer"].replace("\t", " ")
                    ansDic["answer"] = ansDic["answer"].strip()
                resAns = res[quesId]["answer"]
                resAns = resAns.replace("\n", " ")
                resAns = resAns.replace("\t", " ")
                resAns = resAns.strip()
                gtAcc = []
                gtAnswers = [ans["answer"] for ans in gts[quesId]["answers"]]
                if len(set(gtAnswers)) > 1:
                    for ansDic in gts[quesId]["answers"]:
                        ansDic["answer"] = self.processPunctuation(ansDic["answer"])
                        ansDic["answer"] = self.processDigitArticle(ansDic["answer"])
                    resAns = self.processPunctuation(resAns)
                    resAns = self.processDigitArticle(resAns)
            else:
                resAns = res[quesId]["answer"]
                resAns = resAns.replace("\n", " ")
                resAns = resAns.replace("\t", " ")
                resAns = resAns.strip()
                resAns = self.processPunctuation(resAns)
                resAns = self.processDigitArticle(resAns)
                gtAcc = []
                gtAnswers = [ans["answer"] for ans in gts[quesId]["answers"]]
                if len(set(gtAnswers)) > 1:
                    for ansDic in gts[quesId]["answers"]:
                        ansDic["answer"] = self.processPunctuation(ansDic["answer"])
            for gtAnsDatum in gts[quesId]["answers"]:
                otherGTAns = [item for item in gts[quesId]["answers"] if item != gtAnsDatum]
                matchingAns = [item for item in otherGTAns if item["answer"] == resAns]
                acc = min(1, float(len(matchingAns)) / 3)
                gtAcc.append(acc)
            quesType = gts[quesId]["question_type"]
            ansType = gts[quesId]["answer_type"]
            avgGTAcc = float(sum(gtAcc)) / len(gtAcc)
            accQA.append(avgGTAcc)
            accQuesType.setdefault(quesType, []).append(avgGTAcc)
            accAnsType.setdefault(ansType, []).append(avgGTAcc)
            self.evalQA[quesId] = round(100 * avgGTAcc, self.n)
        self.setAccuracy(accQA, accQuesType, accAnsType)

    def processPunctuation(self, inText):
        outText = inText
        for p in self.punct:
            if (p + " " in inText or " " + p in inText) or (
                re.search(self.commaStrip, inText) is not None
            ):
                outText = outText.replace(p, "")
            else:
                outText = outText.replace(p, " ")
        outText = self.periodStrip.sub("", outText, re.UNICODE)
        return outText

    def processDigitArticle(self, inText):
        outText = []
        tempText = inText.lower().split()
        for word in tempText:
            word = self.manualMap.setdefault(word, word)
            if word not in self.articles:
                outText.append(word)
        for wordId, word in enumerate(outText):
            if word in self.contractions:
                outText[wordId] = self.contractions[word]
        outText = " ".join(outText)
        return outText

    def setAccuracy(self, accQA, accQuesType, accAnsType):
        self.accuracy["overall"] = round(100 * float(sum(accQA)) / len(accQA), self.n)
        self.accuracy["perQuestionType"] = {
            t: round(100 * float(sum(v)) / len(v), self.n) for t, v in accQuesType.items()
        }
        self.accuracy["perAnswerType"] = {
            t: round(100 * float(sum(v)) / len(v), self.n) for t, v in accAnsType.items()
        }
        # full precision too, for parity checks
        self.accuracy_raw = {
            "overall": float(sum(accQA)) / len(accQA),
            "perQuestionType": {t: float(sum(v)) / len(v) for t, v in accQuesType.items()},
            "perAnswerType": {t: float(sum(v)) / len(v) for t, v in accAnsType.items()},
            "perQuestion": {q: a for q, a in zip(self.params["question_id"], accQA, strict=True)},
        }
