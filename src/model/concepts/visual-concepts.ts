/**
 * The visual-concept vocabulary: plain caption words that an image encoder can see, in one fixed
 * order, so that a photo's concept scores (concept-scores.ts) and a caption's concepts
 * (caption-concepts.ts) are vectors over the same K words. Later steps condition the decoder on this
 * vector (Yao et al. 2017, "Boosting Image Captioning with Attributes") and read it from the words
 * of text-only captions.
 *
 * How the words were chosen:
 *  - The 80 COCO categories come first, in COCO's (and the detector's `objects` output's) order, so
 *    concept i < 80 is COCO class i. Each is named by the word captions use for it ("sports ball" ->
 *    "ball", "dining table" -> "table", "potted plant" -> "plant", "cell phone" -> "phone"); their
 *    caption synonyms are coco-objects.ts's, not repeated here.
 *  - Then our own concepts: words that (a) some ImageNet class can signal (imagenet-classes.ts maps
 *    each class to them) and (b) captions use often. Counted in ../shared/datasets (Flickr8k's 34k and
 *    captions-text's 167k captions; captions containing the word): the kept scene words are frequent
 *    (water 6.7k, street 10k, field 4.5k, building 4.4k, beach 3.6k, snow 3.1k, grass 3.5k, rock 1.4k,
 *    mountain 1.2k, ocean 1.4k, lake 0.9k, kitchen 1.7k), as are clothing (shirt 13.5k, hat 4.2k,
 *    jacket 3.3k, helmet 1.2k), instruments (guitar 2k) and food words (food 2.8k, plate 1.7k).
 *    Animals ImageNet knows but COCO does not are rarer in captions (fish 450, monkey 60, lion 40)
 *    but are exactly what the Flickr8k decoder now calls "dog"; they stay.
 *    Words no ImageNet class or detector class can signal are no concepts even when frequent (tree
 *    2.1k, park 2.4k, pool 1.5k, toy 1.1k, sky 0.9k): their score would always be 0. ("pool" still
 *    reads as water.)
 *  - Kinds of a COCO category that ImageNet tells apart and captions name (duck, swan, eagle, goat,
 *    polar bear, ...) are concepts with that category as parent.
 *  - Hypernyms are concepts too (animal, vehicle, food, fruit, vegetable, water, bag, instrument,
 *    building): a concept lights its parent, its parent's parent and so on, both in scores and in
 *    caption reading (a tabby is a cat and an animal; a lake is water).
 * Indices are part of the feature format (stored with a photo's features, read by decoders): append
 * new concepts at the end, never reorder or remove one.
 */
import { COCO_OBJECTS, type CocoObject } from './coco-objects.js';

/** COCO categories whose caption word is not their COCO name. */
const COCO_WORD = { 'sports ball': 'ball', 'dining table': 'table', 'potted plant': 'plant', 'cell phone': 'phone', 'hair drier': 'hair dryer' } as const; // prettier-ignore

type CocoConcept = Exclude<CocoObject, keyof typeof COCO_WORD> | (typeof COCO_WORD)[keyof typeof COCO_WORD];

/**
 * Our own concepts, in index order after the 80 COCO ones: the parent (if any) and the caption words
 * that name it (singular; plurals are derived by coco-objects' pluralOf, irregular ones are listed).
 * Words of a kind of a COCO category (duck, goat) may repeat that category's COCO synonyms: a COCO
 * mention's words are looked up here too. No other word here may be a COCO synonym (a test checks).
 */
const OWN_CONCEPTS = {
  // Hypernyms
  animal: { words: ['animal', 'creature', 'pet', 'wildlife', 'critter', 'beast'] },
  vehicle: { words: ['vehicle'] },
  food: { words: ['food', 'meal', 'dish', 'dinner', 'lunch', 'breakfast', 'snack'] },
  fruit: { parent: 'food', words: ['fruit', 'strawberry', 'lemon', 'pineapple', 'grape', 'berry', 'blueberry', 'pear', 'watermelon', 'melon', 'fig', 'pomegranate'] },
  vegetable: { parent: 'food', words: ['vegetable', 'veggie', 'cabbage', 'cauliflower', 'cucumber', 'pepper', 'zucchini', 'squash', 'lettuce', 'tomato', 'tomatoes', 'potato', 'potatoes', 'onion', 'corn', 'mushroom', 'artichoke'] },
  water: { words: ['water', 'pool', 'swimming pool', 'puddle', 'waterfront'] },
  bag: { words: ['bag', 'sack', 'plastic bag', 'shopping bag', 'tote bag'] },
  instrument: { words: ['instrument', 'musical instrument', 'saxophone', 'sax', 'trumpet', 'trombone', 'flute', 'clarinet', 'harp', 'banjo', 'cello', 'tuba', 'harmonica'] },
  building: { words: ['building', 'skyscraper', 'house', 'tower', 'castle', 'palace', 'temple', 'mosque', 'barn', 'cabin', 'hut', 'apartment building'] },
  // Kinds of COCO categories
  duck: { parent: 'bird', words: ['duck', 'duckling', 'mallard', 'drake'] },
  goose: { parent: 'bird', words: ['goose', 'gosling'] },
  swan: { parent: 'bird', words: ['swan'] },
  chicken: { parent: 'bird', words: ['chicken', 'rooster', 'hen'] },
  parrot: { parent: 'bird', words: ['parrot', 'macaw', 'cockatoo', 'parakeet', 'lorikeet'] },
  owl: { parent: 'bird', words: ['owl'] },
  eagle: { parent: 'bird', words: ['eagle', 'bald eagle'] },
  penguin: { parent: 'bird', words: ['penguin'] },
  flamingo: { parent: 'bird', words: ['flamingo'] },
  pelican: { parent: 'bird', words: ['pelican'] },
  ostrich: { parent: 'bird', words: ['ostrich'] },
  peacock: { parent: 'bird', words: ['peacock', 'peahen'] },
  hummingbird: { parent: 'bird', words: ['hummingbird'] },
  goat: { parent: 'sheep', words: ['goat'] },
  'polar bear': { parent: 'bear', words: ['polar bear'] },
  // Other animals
  fish: { parent: 'animal', words: ['fish', 'goldfish', 'shark', 'trout', 'salmon', 'koi'] },
  monkey: { parent: 'animal', words: ['monkey', 'ape', 'chimpanzee', 'chimp', 'gorilla', 'orangutan', 'baboon', 'lemur', 'primate'] },
  lion: { parent: 'animal', words: ['lion', 'lioness', 'mountain lion'] },
  tiger: { parent: 'animal', words: ['tiger'] },
  leopard: { parent: 'animal', words: ['leopard', 'cheetah', 'jaguar', 'snow leopard'] },
  wolf: { parent: 'animal', words: ['wolf', 'wolves', 'coyote'] },
  fox: { parent: 'animal', words: ['fox'] },
  squirrel: { parent: 'animal', words: ['squirrel', 'chipmunk'] },
  rabbit: { parent: 'animal', words: ['rabbit', 'bunny', 'hare'] },
  pig: { parent: 'animal', words: ['pig', 'piglet', 'hog', 'boar', 'warthog', 'swine'] },
  camel: { parent: 'animal', words: ['camel', 'dromedary'] },
  llama: { parent: 'animal', words: ['llama', 'alpaca'] },
  kangaroo: { parent: 'animal', words: ['kangaroo', 'wallaby'] },
  panda: { parent: 'animal', words: ['panda', 'giant panda'] },
  turtle: { parent: 'animal', words: ['turtle', 'tortoise'] },
  snake: { parent: 'animal', words: ['snake', 'serpent', 'python', 'cobra'] },
  lizard: { parent: 'animal', words: ['lizard', 'iguana', 'gecko', 'chameleon', 'komodo dragon'] },
  frog: { parent: 'animal', words: ['frog', 'toad'] },
  butterfly: { parent: 'animal', words: ['butterfly', 'moth'] },
  insect: { parent: 'animal', words: ['insect', 'bug', 'beetle', 'ant', 'bee', 'dragonfly', 'grasshopper', 'ladybug', 'caterpillar'] },
  spider: { parent: 'animal', words: ['spider', 'spider web', 'cobweb'] },
  crab: { parent: 'animal', words: ['crab', 'lobster', 'crayfish'] },
  whale: { parent: 'animal', words: ['whale', 'orca', 'killer whale'] },
  seal: { parent: 'animal', words: ['seal', 'sea lion', 'walrus'] },
  hippo: { parent: 'animal', words: ['hippo', 'hippopotamus'] },
  // Scenes
  beach: { words: ['beach', 'seashore', 'shore', 'shoreline', 'seaside', 'coast', 'coastline', 'beachfront'] },
  ocean: { parent: 'water', words: ['ocean', 'sea', 'surf', 'seawater'] },
  lake: { parent: 'water', words: ['lake', 'lakeside', 'lakeshore', 'pond', 'reservoir'] },
  river: { parent: 'water', words: ['river', 'stream', 'creek', 'riverbank', 'waterfall', 'rapids', 'brook'] },
  sand: { words: ['sand', 'sandy', 'dune', 'sand dune', 'sandbar'] },
  mountain: { words: ['mountain', 'mountainside', 'mountaintop', 'mountain range', 'alp', 'alps', 'peak', 'summit', 'valley', 'volcano'] },
  snow: { words: ['snow', 'snowy', 'snowbank', 'snowfield', 'snowball', 'snowman', 'ski slope', 'ski run', 'ski trail', 'ski resort', 'ski area', 'ski lift', 'skiing', 'snowboarding'] },
  rock: { words: ['rock', 'rocky', 'boulder'] },
  cliff: { words: ['cliff', 'cliffside', 'cliff face', 'rock face'] },
  field: { words: ['field', 'meadow', 'pasture', 'farmland', 'hayfield', 'cornfield', 'farm', 'prairie', 'hay'] },
  grass: { words: ['grass', 'grassy', 'lawn', 'turf', 'grassland'] },
  street: { words: ['street', 'road', 'avenue', 'alley', 'alleyway', 'intersection', 'crosswalk', 'sidewalk', 'roadway', 'highway'] },
  church: { parent: 'building', words: ['church', 'cathedral', 'chapel'] },
  kitchen: { words: ['kitchen', 'kitchenette'] },
  bathroom: { words: ['bathroom', 'restroom', 'washroom', 'lavatory'] },
  store: { words: ['store', 'shop', 'storefront', 'market', 'marketplace', 'supermarket', 'grocery store', 'bakery', 'boutique', 'mall'] },
  restaurant: { words: ['restaurant', 'cafe', 'diner', 'cafeteria', 'bistro', 'coffee shop'] },
  stage: { words: ['stage'] },
  bridge: { words: ['bridge', 'footbridge', 'overpass'] },
  dock: { words: ['dock', 'pier', 'wharf', 'harbor', 'marina'] },
  fountain: { words: ['fountain'] },
  fence: { words: ['fence'] },
  wall: { words: ['wall'] },
  tent: { words: ['tent', 'yurt'] },
  flower: { words: ['flower', 'blossom', 'bouquet', 'daisy', 'tulip', 'sunflower'] },
  // Things
  flag: { words: ['flag'] },
  sign: { words: ['sign', 'signpost', 'billboard', 'street sign', 'signboard', 'placard'] },
  cart: { words: ['cart', 'wagon', 'wheelbarrow', 'shopping cart', 'carriage', 'rickshaw', 'golf cart'] },
  swing: { words: ['swing'] },
  sled: { words: ['sled', 'sleigh', 'toboggan', 'bobsled', 'sledding'] },
  tractor: { parent: 'vehicle', words: ['tractor', 'harvester'] },
  camera: { words: ['camera', 'camcorder', 'video camera'] },
  guitar: { parent: 'instrument', words: ['guitar'] },
  drum: { parent: 'instrument', words: ['drum', 'drum set', 'drumset', 'drumkit', 'bongo'] },
  violin: { parent: 'instrument', words: ['violin', 'fiddle', 'viola'] },
  piano: { parent: 'instrument', words: ['piano', 'grand piano'] },
  accordion: { parent: 'instrument', words: ['accordion'] },
  microphone: { words: ['microphone', 'mic'] },
  balloon: { words: ['balloon', 'hot air balloon', 'water balloon'] },
  bucket: { words: ['bucket', 'pail'] },
  basket: { words: ['basket', 'hamper', 'shopping basket'] },
  box: { words: ['box', 'crate', 'carton', 'cardboard box'] },
  lamp: { words: ['lamp', 'lampshade', 'lamp shade'] },
  pillow: { words: ['pillow', 'cushion'] },
  blanket: { words: ['blanket', 'quilt', 'comforter', 'sleeping bag'] },
  towel: { words: ['towel', 'paper towel'] },
  plate: { words: ['plate', 'platter'] },
  tray: { words: ['tray'] },
  pan: { words: ['pan', 'skillet', 'wok', 'frying pan', 'pot'] },
  // Food
  bread: { parent: 'food', words: ['bread', 'loaf', 'loaves', 'bagel', 'pretzel', 'baguette', 'toast', 'croissant'] },
  'ice cream': { parent: 'food', words: ['ice cream', 'popsicle', 'gelato', 'ice cream cone', 'sundae', 'ice lolly'] },
  pasta: { parent: 'food', words: ['pasta', 'spaghetti', 'noodle', 'lasagna', 'macaroni'] },
  soup: { parent: 'food', words: ['soup', 'stew', 'broth'] },
  meat: { parent: 'food', words: ['meat', 'steak', 'beef', 'pork', 'sausage', 'bacon', 'ham', 'meatball'] },
  coffee: { words: ['coffee', 'espresso', 'latte', 'cappuccino'] },
  // Clothing
  shirt: { words: ['shirt', 't shirt', 'tee shirt', 'tshirt', 'jersey', 'blouse', 'tank top', 'polo shirt'] },
  hat: { words: ['hat', 'cap', 'beanie', 'sombrero', 'cowboy hat', 'bonnet', 'fedora'] },
  helmet: { words: ['helmet', 'hardhat', 'hard hat'] },
  jacket: { words: ['jacket', 'coat', 'parka', 'raincoat', 'windbreaker', 'blazer', 'overcoat', 'trench coat'] },
  dress: { words: ['dress', 'gown', 'robe', 'kimono', 'sundress'] },
  skirt: { words: ['skirt', 'miniskirt', 'kilt'] },
  jeans: { words: ['jeans', 'blue jeans'] },
  suit: { words: ['suit', 'tuxedo'] },
  uniform: { words: ['uniform'] },
  swimsuit: { words: ['swimsuit', 'swim suit', 'bathing suit', 'bikini', 'swimwear', 'swim trunks', 'swimming trunks'] },
  sunglasses: { words: ['sunglasses', 'sun glasses'] },
  shoes: { words: ['shoe', 'sneaker', 'sandal', 'flip flop', 'loafer', 'clog'] },
  boots: { words: ['boot'] },
  sweater: { words: ['sweater', 'sweatshirt', 'hoodie', 'cardigan', 'pullover'] },
  apron: { words: ['apron'] },
  mask: { words: ['mask', 'gas mask', 'ski mask'] },
  gloves: { words: ['glove', 'mitten'] },
} as const; // prettier-ignore

type OwnConcept = keyof typeof OWN_CONCEPTS;
/** One word of the concept vocabulary. */
export type VisualConcept = CocoConcept | OwnConcept;

/** Parents of COCO categories (the others have none). */
const COCO_PARENT: Readonly<Partial<Record<CocoObject, VisualConcept>>> = {
  bird: 'animal', cat: 'animal', dog: 'animal', horse: 'animal', sheep: 'animal', cow: 'animal', elephant: 'animal', bear: 'animal',
  zebra: 'animal', giraffe: 'animal', car: 'vehicle', bus: 'vehicle', truck: 'vehicle', motorcycle: 'vehicle', backpack: 'bag', handbag: 'bag',
  banana: 'fruit', apple: 'fruit', orange: 'fruit', broccoli: 'vegetable', carrot: 'vegetable', sandwich: 'food', 'hot dog': 'food', pizza: 'food',
  donut: 'food', cake: 'food',
}; // prettier-ignore

interface ConceptDefinition {
  readonly parent?: VisualConcept;
  readonly words: readonly string[];
}
// Typed through this (not `as const` alone), so a parent that is no concept fails to compile.
const OWN: Readonly<Record<OwnConcept, ConceptDefinition>> = OWN_CONCEPTS;

/** The caption word of a COCO category. */
export function cocoConcept(object: CocoObject): CocoConcept {
  return (COCO_WORD as Readonly<Record<string, CocoConcept>>)[object] ?? (object as CocoConcept);
}

/** Every concept, in score-vector order: the 80 COCO categories, then our own. */
export const VISUAL_CONCEPTS: readonly VisualConcept[] = [...COCO_OBJECTS.map(cocoConcept), ...(Object.keys(OWN_CONCEPTS) as OwnConcept[])];

/** K, the length of a concept-score vector. */
export const CONCEPT_COUNT = VISUAL_CONCEPTS.length;

const INDEX = new Map<string, number>(VISUAL_CONCEPTS.map((c, i) => [c, i]));
if (INDEX.size !== CONCEPT_COUNT) throw new Error('visual-concepts: a concept word is used twice');

/** A concept's index in the score vector; throws for a word that is no concept. */
export function conceptIndex(concept: VisualConcept): number {
  const i = INDEX.get(concept);
  if (i === undefined) throw new Error(`"${concept}" is not a visual concept`);
  return i;
}

/** The concept a concept lights besides itself, if any (tabby's cat lights animal). */
export function conceptParent(concept: VisualConcept): VisualConcept | undefined {
  const i = conceptIndex(concept);
  if (i < COCO_OBJECTS.length) return COCO_PARENT[COCO_OBJECTS[i]!];
  return OWN[concept as OwnConcept].parent;
}

/** A concept and every ancestor, as indices, the concept first (cycles are refused). */
export function withAncestors(concept: VisualConcept): number[] {
  const out: number[] = [];
  for (let c: VisualConcept | undefined = concept; c !== undefined; c = conceptParent(c)) {
    const i = conceptIndex(c);
    if (out.includes(i)) throw new Error(`visual-concepts: the parents of "${concept}" form a cycle`);
    out.push(i);
  }
  return out;
}

/** Each concept's withAncestors, by index, computed once (guidance and rivalry read them per photo). */
export const CONCEPT_ANCESTORS: ReadonlyArray<readonly number[]> = VISUAL_CONCEPTS.map((c) => withAncestors(c));

/** Whether concept d is concept c or a kind of it (by index). */
export function isKindOf(d: number, c: number): boolean {
  return CONCEPT_ANCESTORS[d]!.includes(c);
}

/** Caption words (singular) of our own concepts; COCO concepts use coco-objects' COCO_SYNONYMS. */
export function ownConceptWords(): ReadonlyMap<VisualConcept, readonly string[]> {
  return new Map((Object.keys(OWN) as OwnConcept[]).map((c) => [c, OWN[c].words]));
}

/** Whether a concept is a kind of a COCO category (its words may be COCO synonyms). */
export function isCocoKind(concept: VisualConcept): boolean {
  const parent = conceptParent(concept);
  return conceptIndex(concept) >= COCO_OBJECTS.length && parent !== undefined && conceptIndex(parent) < COCO_OBJECTS.length;
}
